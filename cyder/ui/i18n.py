"""The app's texts in English and Japanese, and the choice between them.

The language comes from `--lang`, else `CYDER_LANG`, else the locale (`LC_ALL`, `LC_MESSAGES`,
`LANG` starting with `ja`), else English. Range and scenario texts that carry both languages
(`{ja: ..., en: ...}`) follow the same choice.
"""

from __future__ import annotations

import os
from typing import Any

LANGUAGES = ("en", "ja")

TEXTS: dict[str, tuple[str, str]] = {
    # tabs
    "tab.overview": ("Overview", "概要"),
    "tab.inbox": ("Inbox", "受信箱"),
    "tab.evidence": ("Evidence", "証跡"),
    "tab.hosts": ("Hosts", "ホスト"),
    "tab.indicators": ("Indicators", "指標"),
    "tab.actions": ("Actions", "対処"),
    "tab.reports": ("Reports", "報告"),
    "tab.score": ("Score", "得点"),
    # bindings
    "key.help": ("Help", "ヘルプ"),
    "key.quit": ("Quit", "終了"),
    "key.palette": ("Commands", "コマンド"),
    "key.search": ("Search", "検索"),
    "key.live": ("Live", "ライブ"),
    "key.shell": ("Shell", "シェル"),
    "key.refresh": ("Refresh", "更新"),
    "key.hint": ("Hint", "ヒント"),
    "key.details": ("Details", "詳細"),
    "key.close": ("Close", "閉じる"),
    # status bar and phases
    "phase.detection": ("detection", "検知"),
    "phase.response": ("response", "対応"),
    "phase.reporting": ("reporting", "報告"),
    "phase.recovery": ("recovery", "回復"),
    "phase.finished": ("finished", "終了"),
    "phase.total": ("total", "合計"),
    "clock.paused": ("paused", "一時停止"),
    "clock.starting": ("starting", "準備中"),
    "status.points": ("pts", "点"),
    # start screen
    "start.title": ("Preparing {scenario} for team {team}", "{team} の演習「{scenario}」を準備しています"),
    "start.images": ("Checking the range images (about two minutes the first time)",
                     "演習環境のイメージを確認しています (初回は約2分)"),
    "start.range": ("Bringing up {range}", "{range} を起動しています"),
    "start.ready": ("{range} is ready", "{range} の準備ができました"),
    "start.failed": ("The exercise could not start: {error}", "演習を開始できませんでした: {error}"),
    "start.quit": ("Press ctrl+q to quit.", "ctrl+q で終了します。"),
    # overview
    "overview.map": ("Network", "ネットワーク"),
    "overview.score": ("Score", "得点"),
    "overview.clock": ("Exercise time", "演習時間"),
    "overview.office": ("Office time", "庁内時刻"),
    "overview.phase": ("Phase", "フェーズ"),
    "overview.legend": ("● running  ◐ degraded  ⊘ isolated  ✕ down", "● 稼働  ◐ 一部停止  ⊘ 隔離  ✕ 停止"),
    "overview.pcs": ("{count} PCs", "端末 {count} 台"),
    # inbox
    "inbox.empty": ("No messages yet.", "まだメッセージはありません。"),
    "inbox.from": ("From", "差出人"),
    "inbox.to": ("To", "宛先"),
    "inbox.received": ("Received", "受信"),
    "inbox.deadline": ("Deadline", "期限"),
    "inbox.left": ("{time} left", "残り {time}"),
    "inbox.overdue": ("overdue", "期限切れ"),
    "inbox.new": ("New message: {subject}", "新着メッセージ: {subject}"),
    # evidence
    "evidence.placeholder": ("host:pc01 kind:dns-query source:squid since:10:30 domain=x.example text",
                             "host:pc01 kind:dns-query source:squid since:10:30 domain=x.example 文字列"),
    "evidence.live": ("live: newest {shown:,} of {total:,} events", "ライブ: 全 {total:,} 件中 最新 {shown:,} 件"),
    "evidence.found": ("{shown:,} matches{more} in {ms} ms (enter on a line for details; esc for live)",
                       "{shown:,} 件{more} ({ms} ms、行で enter で詳細、esc でライブ)"),
    "evidence.more": (" (newest shown; narrow the search)", " (最新分のみ表示、条件を絞ってください)"),
    "evidence.searching": ("searching…", "検索中…"),
    "evidence.bad": ("Search: {error}", "検索: {error}"),
    "evidence.paused": ("paused (scrolled up); end to follow", "一時停止 (上にスクロール中)、end で追従"),
    # hosts
    "hosts.state": ("State", "状態"),
    "hosts.addresses": ("Addresses", "アドレス"),
    "hosts.services": ("Services", "サービス"),
    "hosts.processes": ("Processes", "プロセス"),
    "hosts.logs": ("Recent logs", "最近のログ"),
    "hosts.loading": ("Reading {host}…", "{host} を読み込み中…"),
    "hosts.pick": ("Choose a host on the left.", "左のホストを選んでください。"),
    "hosts.shell_back": ("Back from the shell on {host}", "{host} のシェルから戻りました"),
    "hosts.no_shell": ("A shell needs a terminal: run `cyder play` in one (not in the browser or a test)",
                       "シェルには端末が必要です: 端末で `cyder play` を実行してください"),
    "hosts.hint": ("s: shell into the host (exit to come back)  r: refresh",
                   "s: ホストのシェル (exit で戻る)  r: 更新"),
    # indicators
    "ind.kind": ("Kind", "種類"),
    "ind.value": ("Indicator (defanged is fine: evil[.]example)", "指標 (無害化表記も可: evil[.]example)"),
    "ind.note": ("Note (optional)", "メモ (任意)"),
    "ind.submit": ("Submit", "提出"),
    "ind.verdict": ("Verdict", "判定"),
    "ind.incident": ("Incident: affected hosts, comma-separated", "インシデント宣言: 影響ホスト (カンマ区切り)"),
    "ind.declare": ("Declare", "宣言"),
    "ind.declared": ("Incident declared: {verdict}", "インシデントを宣言しました: {verdict}"),
    "ind.judged": ("{kind} {value}: {verdict}", "{kind} {value}: {verdict}"),
    "ind.empty": ("Type an indicator first.", "指標を入力してください。"),
    "verdict.correct": ("correct", "正解"),
    "verdict.wrong": ("wrong", "不正解"),
    "verdict.already credited": ("already credited", "採点済み"),
    "verdict.recorded": ("recorded", "記録"),
    # actions
    "act.action": ("Action", "対処"),
    "act.run": ("Run…", "実行…"),
    "act.confirm": ("Run {action} {params} on the range?", "{action} {params} を実行しますか?"),
    "act.running": ("Running {action}…", "{action} を実行中…"),
    "act.done": ("{action}: {outcome}", "{action}: {outcome}"),
    "act.failed": ("{action} failed: {error}", "{action} は失敗しました: {error}"),
    "act.history": ("Done so far", "実施済み"),
    # reports
    "rep.report": ("Report", "報告"),
    "rep.filed": ("filed", "提出済み"),
    "rep.due": ("due {time}", "期限 {time}"),
    "rep.submit": ("Submit…", "提出…"),
    "rep.confirm": ("File {report} now? It cannot be changed afterwards.", "{report} を提出しますか? 提出後は変更できません。"),
    "rep.saved": ("draft saved {time}", "下書き保存 {time}"),
    "rep.unsaved": ("NOT saved: kept on screen, retrying", "未保存: 画面に保持し再試行中"),
    "rep.save-failed": ("The draft could not be saved ({error}). Your text stays on screen; cyder tries again every "
                        "few seconds.", "下書きを保存できません ({error})。入力内容は画面に残り、数秒ごとに再試行します。"),
    "evidence.problem": ("Evidence is not being stored ({error}); cyder keeps trying and loses nothing.",
                         "証跡を保存できません ({error})。再試行中で、証跡は失われません。"),
    "rep.done": ("{report} filed: {points:g} points{late}", "{report} を提出しました: {points:g} 点{late}"),
    "rep.late": (" (late)", " (期限超過)"),
    "rep.readonly": ("This report was filed; it is shown as sent.", "提出済みの報告です (送信内容を表示)。"),
    "field.detection_time": ("Detection time and how it was found", "検知日時と検知の経緯"),
    "field.affected_systems": ("Affected systems", "影響を受けたシステム"),
    "field.incident_type": ("Incident type", "インシデントの種類"),
    "field.attack_vector": ("Attack vector", "攻撃経路"),
    "field.indicators": ("Indicators (IoC)", "侵害指標 (IoC)"),
    "field.functional_impact": ("Functional impact", "業務への影響"),
    "field.information_impact": ("Information impact", "情報への影響"),
    "field.actions_taken": ("Actions taken", "実施した対処"),
    "field.current_status": ("Current status", "現在の状況"),
    "field.next_steps": ("Next steps", "今後の対応"),
    # score
    "score.ledger": ("Ledger: every point with its reason", "得点記録: すべての得点と理由"),
    "score.when": ("Time", "時刻"),
    "score.points": ("Points", "点"),
    "score.phase": ("Phase", "フェーズ"),
    "score.reason": ("Reason", "理由"),
    "score.hints": ("Hints (enter to take the next one; it costs points)", "ヒント (enter で次のヒント、減点あり)"),
    "score.step": ("Step", "ステップ"),
    "score.taken": ("Taken", "使用"),
    "score.cost": ("Next costs", "次の減点"),
    "score.none_left": ("none left", "なし"),
    "score.hint_confirm": ("Take hint {tier} for {step}? It costs {cost:g} points.",
                           "{step} のヒント {tier} を使いますか? {cost:g} 点減点されます。"),
    "score.hint": ("Hint {tier} for {step}", "{step} のヒント {tier}"),
    "score.changed": ("{points:+g} {reason}", "{points:+g} {reason}"),
    # dialogs
    "dlg.yes": ("Yes", "はい"),
    "dlg.no": ("No", "いいえ"),
    "dlg.ok": ("OK", "OK"),
    "help.title": ("Keys (id: keys: what)", "キー (ID: キー: 機能)"),
    "help.more": ("ctrl+p lists every command. Keys can be changed with CYDER_KEYMAP=\"id=key,...\".",
                  "ctrl+p ですべてのコマンドを表示。CYDER_KEYMAP=\"id=key,...\" でキーを変更できます。"),
    "range.fault": ("The range had a fault (not your doing, never scored); your instructor sees it in the debrief.",
                    "演習環境で障害が発生しました (採点には影響しません)。講師は講評で確認できます。"),
    "finished": ("The exercise is over: {total:g} points. Debrief: {path}", "演習終了: {total:g} 点。講評: {path}"),
    "error": ("{error}", "{error}"),
    # command palette
    "cmd.goto": ("Go to {tab}", "{tab} を開く"),
    "cmd.action": ("Action: {action}", "対処: {action}"),
    "cmd.shell": ("Shell on {host}", "{host} のシェル"),
    "cmd.report": ("Report: {report}", "報告: {report}"),
    "cmd.indicator": ("Submit an indicator", "指標を提出"),
    "cmd.incident": ("Declare the incident", "インシデントを宣言"),
    "cmd.hint": ("Hint for {step}", "{step} のヒント"),
    "cmd.help": ("Show the keys", "キー一覧"),
    "cmd.quit": ("Quit (the exercise clock stops until you play again)", "終了 (再開まで演習時間は止まります)"),
}


def choose_language(setting: str | None = None, environ: dict[str, str] | None = None) -> str:
    """The language to show: the setting, else CYDER_LANG, else the locale, else English."""
    environ = os.environ if environ is None else environ
    for value in (setting, environ.get("CYDER_LANG")):
        if value:
            if value not in LANGUAGES:
                raise ValueError(f"unknown language {value!r}; expected one of {', '.join(LANGUAGES)}")
            return value
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


class Translator:
    """Looks texts up in one language."""

    def __init__(self, language: str = "en"):
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}")
        self.language = language
        self._index = LANGUAGES.index(language)

    def __call__(self, key: str, **values: Any) -> str:
        """The text for a key with its {placeholders} filled in (the key itself when unknown)."""
        pair = TEXTS.get(key)
        text = pair[self._index] if pair else key
        return text.format(**values) if values else text

    def pick(self, text: Any) -> str:
        """One language of a bilingual text (a {ja, en} dict or model), or a plain string as it is."""
        if text is None:
            return ""
        if isinstance(text, str):
            return text
        if isinstance(text, dict):
            return text.get(self.language) or text.get("en") or ""
        return getattr(text, self.language, None) or getattr(text, "en", "")

"""The trainee's terminal app (Textual): it calls the exercise engine and renders what it emits.

`play.py` starts it (images, range, engine, app; or the same app served to a browser), `app.py`
is the glue, one module per area under it, their messages in `messages.py`, key bindings in
`bindings.py`, texts in `i18n.py`, and `text.py` makes every piece of range data (mail, logs,
file names, report text) safe to show literally.
"""

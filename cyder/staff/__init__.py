"""The simulated staff at run time: their office clock and what they did, read and set through the
range backend (control.py). The containers' side is cyder/agent/staff.py."""

"""The shipped campaign files, installed as mailbot._campaigns (see setup.py)."""

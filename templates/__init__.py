"""The message catalogues and templates, installed as mailbot._templates (see setup.py)."""

"""Accounts: agencies, users, login sessions, API tokens and device keys."""

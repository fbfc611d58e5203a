"""Accounts: who may sign in, with which role, and what each role may see."""

from backplan.accounts.access import Principal, Role
from backplan.accounts.passwords import PasswordHasher, check_new_password

__all__ = ["PasswordHasher", "Principal", "Role", "check_new_password"]

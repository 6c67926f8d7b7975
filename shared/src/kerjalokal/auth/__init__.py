"""Who may do what, the same way in every service.

- `Principal`: the caller, with one role and the scope that role needs (a company, an
  institution, a desa or kecamatan, an agency's or a service's name).
- `keys`: API keys, random and shown once, stored as a hash, scoped, expiring and revocable, in
  each service's own database (chassis migration `0002_api_keys_audit.sql`).
- `fastapi`: the dependencies that turn a bearer key into a principal and refuse a role.
- `admin`: the operators' endpoints to issue, list and revoke a service's keys.
- `audit`: the log of every read of personal data in clear.
- `web`: security headers on every response and rate limits for public pages and logins.
"""

from .principal import ROLES, Principal, Role

__all__ = ["ROLES", "Principal", "Role"]

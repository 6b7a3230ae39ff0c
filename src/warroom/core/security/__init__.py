"""Security primitives shared by every domain: roles, permissions, credentials, the route guard."""

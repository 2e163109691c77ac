"""Security: accounts, roles and sessions at the edges; field encryption and the audit chain at the storage layer."""

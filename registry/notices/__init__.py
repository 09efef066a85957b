"""Notices: what reaches staff and other systems when templates change (Atom feeds)."""

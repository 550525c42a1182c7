"""Web pages the functions serve themselves (HTML rendered from view models, no JavaScript, no assets): the staff
approval page of premium applications. Styles use the Digital Agency design system's tokens (tokens.py, generated)."""

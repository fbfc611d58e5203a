"""The demo organisation: its generator, its roster in the app database, and the demo site
(the organisation, this month's objectives and one account per role)."""

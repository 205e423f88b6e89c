"""The analytics core: pure computations, frames and arrays in, frames and arrays out.

Nothing here imports the store, the web framework or the domains.
"""

"""
Helpers for testing code that uses twisted_reneg: a throwaway PKI.
"""

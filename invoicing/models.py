"""Invoices, their lines, gapless numbers and credit notes (to come: see the invoicing issue)."""

"""Cases: opening them, moving them, reading them, and what they carry (parties, files, money)."""

"""Personal data apart from the record: sealing it under a key per person, opening it for readers,
erasing it when retention allows (docs/PRIVACY.md)."""

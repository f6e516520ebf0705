"""Handing closed records over to an archive: E-ARK CSIP / FGS submission information packages."""

"""Software-defined assets, one package per asset group."""

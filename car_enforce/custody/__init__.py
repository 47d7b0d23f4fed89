"""Custody at the auxiliary center (入库): intake, the custody chain, release orders, costs and tariffs."""

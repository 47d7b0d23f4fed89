"""Jurisdictions as polygons, datums, and which unit covers a point."""

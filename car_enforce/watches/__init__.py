"""watches"""

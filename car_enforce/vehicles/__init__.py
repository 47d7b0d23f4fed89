"""vehicles"""

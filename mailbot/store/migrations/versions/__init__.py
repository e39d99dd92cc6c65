"""The store's schema revisions, one file each, numbered 0001, 0002, …"""

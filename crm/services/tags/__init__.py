"""Tags: a shop-wide list of labels, any number on each customer, every change in the trail.

    names      the name rule (clean_name), the palette, find and get_or_create
    customer   add and remove on one customer
    many       add_to_many and remove_from_many: one tag on thousands of customers, set-based
    shop_list  Settings › Tags: rename, recolour, merge, delete
    trail      how a change of tags reads in the trail
    imported   a file's tags cell, and writing an import's tags in bulk

Tag.customers (how many customers carry a tag) is kept here in the same transaction as customer_tag's rows;
Recently deleted (services/deleted.py) keeps a deleted customer's tags and takes them off the counts.
Services only add and flush: the caller commits.
"""

from . import imported
from .customer import add, remove
from .many import add_to_many, remove_from_many
from .names import (
           PALETTE,
           SEPARATORS,
           clean_colour,
           clean_name,
           find,
           get_or_create,
           key_of,
           listing,
           load_on,
           suggestions,
)
from .shop_list import delete_tag, merge, recolour, rename
from .trail import shown

__all__ = ["PALETTE", "SEPARATORS", "add", "add_to_many", "imported", "clean_colour", "clean_name", "delete_tag", "find",
           "get_or_create", "key_of", "listing", "load_on", "merge", "recolour", "remove", "remove_from_many", "rename",
           "shown", "suggestions"]

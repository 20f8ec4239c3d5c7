"""Settings › Tags: the shop's list of tags, with how many customers carry each; rename, recolour, merge, delete."""

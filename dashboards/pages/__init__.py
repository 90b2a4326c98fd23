"""The producer dashboard's pages, one module per page (``script``, ``stripboard``, ``dood``, ...).

A page is a plain function ``(studio, script_id) -> viewable`` that reads everything it shows
through the Studio while it is called (the Studio is closed afterwards); ``common`` holds what
several pages share. ``dashboards/producer.py`` lists the pages, in tab order, in ``PAGES``.
"""

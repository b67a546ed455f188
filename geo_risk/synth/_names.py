"""Invented name parts for streets, wards and schools of the synthetic city."""

from __future__ import annotations

STEMS: tuple[str, ...] = (
    "Alder", "Ashdown", "Aspen", "Badger", "Barley", "Beacon", "Beech", "Birch", "Blackthorn", "Bluebell",
    "Bramble", "Brook", "Buttercup", "Campion", "Canal", "Carden", "Cedar", "Chalk", "Chapel", "Cherry",
    "Chestnut", "Clover", "Cobble", "Copper", "Coral", "Cotton", "Cowslip", "Crane", "Cress", "Crown",
    "Daisy", "Dale", "Dove", "Elder", "Elm", "Fairfield", "Falcon", "Fennel", "Fern", "Ferry",
    "Field", "Finch", "Flax", "Forge", "Fox", "Foxglove", "Garnet", "Gorse", "Granary", "Granite",
    "Hawthorn", "Hazel", "Heath", "Heron", "Hill", "Holly", "Honey", "Hop", "Ivy", "Juniper",
    "Kestrel", "Kiln", "Lantern", "Larch", "Lark", "Laurel", "Lavender", "Lily", "Lime", "Linden",
    "Linnet", "Maple", "Marigold", "Market", "Marsh", "Meadow", "Mill", "Mint", "Moor", "Mulberry",
    "Nettle", "Oak", "Orchard", "Osier", "Otter", "Owl", "Pebble", "Pine", "Plover", "Poplar",
    "Poppy", "Primrose", "Quarry", "Quay", "Rail", "Raven", "Reed", "Robin", "Rook", "Rose",
    "Rowan", "Rush", "Saffron", "Sage", "Salt", "Sand", "Sedge", "Silver", "Sloe", "Sorrel",
    "Sparrow", "Spring", "Spruce", "Starling", "Station", "Stone", "Swallow", "Swan", "Sycamore", "Tansy",
    "Teasel", "Thistle", "Thrush", "Timber", "Tinker", "Tower", "Vale", "Violet", "Walnut", "Warren",
    "Water", "Weaver", "Well", "Wharf", "Wheat", "Willow", "Windmill", "Wren", "Yarrow", "Yew",
    "Abbot", "Bishop", "Castle", "Church", "College", "Deacon", "Friar", "Glebe", "Manor", "Priory",
)

#: Suffixes for through streets (residential chains with both ends joined).
THROUGH_SUFFIXES: tuple[str, ...] = (
    "Street", "Road", "Avenue", "Lane", "Grove", "Terrace", "Crescent", "Drive", "Way", "Walk", "Hill", "Row",
)
#: Suffixes for streets ending in a dead end.
CLOSE_SUFFIXES: tuple[str, ...] = ("Close", "Mews", "Gardens", "Court", "Place", "Rise", "View")
#: Suffixes for arterial roads.
ARTERIAL_SUFFIXES: tuple[str, ...] = ("Road", "Street", "Way", "Hill")
#: Suffixes for named footpaths.
PATH_SUFFIXES: tuple[str, ...] = ("Path", "Walk", "Steps", "Passage")

WARD_STEMS: tuple[str, ...] = (
    "Northmead", "Southgate", "Eastfield", "Westbury Marsh", "Harbourside", "Riverside", "Old Town", "Castlefields",
    "Millbrook", "Ashcombe", "Beaconsfield", "Brookvale", "Chalkhill", "Copperfield", "Dovecote", "Elmstead",
    "Fernhill", "Foxcote", "Greenacre", "Hazelwood", "Heathside", "Kilnworth", "Larkrise", "Lindenfold",
    "Marshgate", "Meadowbank", "Oakhurst", "Orchard Vale", "Poplar Reach", "Quarrybank", "Ravensmere", "Reedham",
    "Rowanfield", "Saltings", "Sandpits", "Sedgemoor Park", "Silverdale", "Stonebridge", "Swanmere", "Thistlecombe",
    "Towerfields", "Valley Park", "Warrenside", "Waterlow", "Wharfside", "Willowbrook", "Windmill Hill", "Yewtree",
    "Abbotsmead", "Bishopsfield", "Churchlands", "Collegefields", "Friarsgate", "Glebelands", "Manorfield", "Priory Park",
    "Ferryside", "Granary Quarter", "Hillcrest", "Kestrel Heath", "Lantern Hill", "Quayside", "Rookwood", "Springvale",
)

PRIMARY_SUFFIXES: tuple[str, ...] = (
    "Primary School", "Community Primary School", "Church of England Primary School", "Primary Academy",
    "Infant and Junior School",
)
SECONDARY_SUFFIXES: tuple[str, ...] = ("Academy", "School", "Community School", "High School")

#: Police.uk point-of-interest snap-point names (the shared files' most common).
POI_KINDS: tuple[str, ...] = (
    "Supermarket",
    "Parking Area",
    "Shopping Area",
    "Petrol Station",
    "Nightclub",
    "Sports/Recreation Area",
    "Hospital",
    "Theatre/Concert Hall",
    "Police Station",
    "Further/Higher Educational Building",
    "Park/Open Space",
    "Bus/Coach Station",
)

RIVER_NAME = "River Synne"

"""The words a world is made of: genres, names, places, show titles, comments, track names.

Changing any of them changes every generated world (the same seed no longer gives the same data).
"""

from __future__ import annotations

__all__ = [
    "ADJECTIVES",
    "ARTISTS",
    "BIOGS",
    "COMMENTS",
    "DESCRIPTIONS",
    "FIRST_NAMES",
    "GENRES",
    "LAST_NAMES",
    "MONTHS",
    "NOUNS",
    "PLACES",
    "SHOWS",
    "SONG_WORDS",
]

#: The genre tags of generated shows, as ``(slug, name)``.
GENRES = (
    ("ambient", "Ambient"), ("chillout", "Chillout"), ("jazz", "Jazz"),
    ("soundtrack", "Soundtrack"), ("modern-classical", "Modern classical"),
    ("electro-house", "Electro house"), ("deep-house", "Deep house"), ("tech-house", "Tech house"),
    ("idm", "Idm"), ("originals", "Originals"), ("funky-house", "Funky house"), ("funk", "Funk"),
    ("soul", "Soul"), ("house", "House"), ("techno", "Techno"), ("drum-and-bass", "Drum and bass"),
    ("dubstep", "Dubstep"), ("hip-hop", "Hip hop"), ("disco", "Disco"),
    ("electronic", "Electronic"), ("experimental", "Experimental"), ("dub", "Dub"),
    ("reggae", "Reggae"), ("breaks", "Breaks"), ("garage", "Garage"), ("trance", "Trance"),
    ("minimal", "Minimal"), ("talk", "Talk"), ("afrobeats", "Afrobeats"), ("lo-fi", "Lo-fi"),
    ("jungle", "Jungle"),
)

ADJECTIVES = (
    "deep", "lunar", "velvet", "electric", "midnight", "golden", "silent", "neon", "analog",
    "cosmic", "urban", "solar", "hidden", "liquid", "dusty", "crystal", "broken", "northern",
    "tropical", "infinite", "sonic", "lazy", "wild", "frozen", "rusty", "stereo", "hazy", "mellow",
    "digital", "secret", "warm", "distant", "sunday", "late", "slow", "bright",
)
NOUNS = (
    "groove", "signal", "echo", "pulse", "orbit", "tide", "vinyl", "frequency", "horizon", "wave",
    "rhythm", "static", "harbour", "forest", "circuit", "lantern", "river", "cassette", "meadow",
    "engine", "garden", "tape", "motion", "spiral", "canyon", "mirror", "season", "shadow",
    "current", "island", "session", "basement", "rooftop", "voyage", "dream", "machine",
)
FIRST_NAMES = (
    "alex", "sam", "maya", "leo", "nina", "omar", "ines", "kofi", "yuki", "lena", "marco", "zoe",
    "ravi", "ana", "tom", "ella", "jonas", "aisha", "felix", "mira", "dan", "sofia", "hugo",
    "lucia", "ivan", "noor", "theo", "iris", "kai", "vera",
)
LAST_NAMES = (
    "martin", "okafor", "nakamura", "silva", "novak", "berg", "rossi", "kim", "dubois", "jensen",
    "costa", "mendes", "walsh", "haas", "patel", "moreau", "lund", "ortiz", "reyes", "fischer",
)
PLACES = (
    ("London", "United Kingdom"), ("Bristol", "United Kingdom"), ("Manchester", "United Kingdom"),
    ("Berlin", "Germany"), ("Hamburg", "Germany"), ("Paris", "France"), ("Lyon", "France"),
    ("Amsterdam", "Netherlands"), ("Brussels", "Belgium"), ("Madrid", "Spain"),
    ("Barcelona", "Spain"), ("Lisbon", "Portugal"), ("Milan", "Italy"), ("Athens", "Greece"),
    ("Warsaw", "Poland"), ("Stockholm", "Sweden"), ("Dublin", "Ireland"),
    ("New York", "United States"), ("Chicago", "United States"), ("Detroit", "United States"),
    ("Los Angeles", "United States"), ("Toronto", "Canada"), ("Montreal", "Canada"),
    ("Sao Paulo", "Brazil"), ("Lagos", "Nigeria"), ("Johannesburg", "South Africa"),
    ("Tokyo", "Japan"), ("Melbourne", "Australia"), ("Mexico City", "Mexico"), ("", ""),
)
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
SHOWS = ("Knee Deep", "Low Tide", "Early Hours", "Night Shift", "Tape Club", "Basement Tapes",
         "Slow Motion", "Open Air", "The Long Weekend", "Signal Path", "Outer Orbit",
         "Dust Jacket")
COMMENTS = (
    "Great mix, thanks for sharing!", "Lovely selection as always.", "What's the track at 23:10?",
    "This one is on repeat here.", "Perfect for a rainy afternoon.", "Wow, the transitions!",
    "Thanks for the follow!", "Big tune at the end.", "Been waiting for this one.",
    "Beautiful, deep and warm.", "Saved for the weekend.", "Cheers from across the ocean!",
    "Nice one, keep them coming.", "Tracklist please?", "Superb journey from start to finish.",
    "That opening track is gorgeous.", "Played this at work all day.", "Respect!",
    "Such a good vibe.", "One of your best.", "Can't stop listening.", "Proper selection.",
)
BIOGS = (
    "{name} plays {g0} and {g1}.", "Mixes from {city}. {G0}, {g1} and everything in between.",
    "Weekly shows of {g0}, {g1} and {g2}.", "DJ, collector and occasional producer.",
    "Radio shows and live recordings.", "", "Music lover. {G0} head.",
)
DESCRIPTIONS = (
    "A journey through {g0} and {g1}.", "Recorded live. {G0} all the way.",
    "{G0}, {g1} and a few surprises.\r\n\r\nEnjoy and share!", "Monthly {g0} selection.",
    "", "Two hours of {g0} for late nights.",
)
ARTISTS = (
    "Heldon", "Soft Machine", "Aphex Twin", "Four Tet", "Floating Points", "Bonobo",
    "Kerri Chandler", "Moodymann", "Theo Parrish", "Nina Simone", "Alice Coltrane", "Burial",
    "Caribou", "Dj Koze", "Larry Heard", "Sade", "Boards of Canada", "Jon Hopkins", "Nils Frahm",
    "Roy Ayers",
)
SONG_WORDS = ("Blue", "Night", "Dream", "Shadow", "Light", "River", "Dance", "Home", "Sun",
              "Glass", "Echoes", "Motion", "Heart", "City", "Rain", "Gold", "Fire", "Bloom",
              "Drift", "Sky")

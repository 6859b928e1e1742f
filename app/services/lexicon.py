"""What common genres, shop departments and the app's own sound descriptors mean, in everyday words.

The vocabulary (vocabulary.py) embeds these glosses beside a catalogue's own genre, category and tag
names, so a request's words meet them by meaning ("cowboys" -> Western, "a good laugh" -> Comedy).
They describe the general meaning of each name as a film guide, a record shop or a department store
would; a name the catalogue has that is not listed here is embedded as it is spelled.
"""

from __future__ import annotations

# Keyed by the normalised name (lower case, punctuation as spaces: app.services.titles.normalise).
GENRES: dict[str, str] = {
    # film genres
    "action": "action film: fights, chases, explosions, heroes, shoot-outs, adrenaline",
    "adventure": "adventure film: quests, journeys, treasure, exploring, swashbuckling",
    "animation": "animated film: cartoons, animation, drawn or computer-animated",
    "childrens": "children's film: for kids, family viewing, young audiences, for my son or daughter, "
                 "the little ones, young children, grandchildren, suitable for all ages",
    "comedy": "comedy film: funny, hilarious, jokes, a good laugh, silly, light-hearted humour, feel-good, cheer me up",
    "crime": "crime film: gangsters, the mob, heists, robbers, detectives, cops, criminals",
    "documentary": "documentary: real life, true events, non-fiction, factual",
    "drama": "drama film: serious, heavy, emotional, moving, character stories, tear-jerker, sad, makes you cry, "
             "a good cry, weepy",
    "fantasy": "fantasy film: magic, wizards, dragons, fairy tales, myths",
    "film noir": "film noir: hard-boiled 1940s detectives, femme fatale, black and white crime",
    "horror": "horror film: scary, frightening, terrifying, creepy, spooky, ghosts, monsters, slasher, zombies, "
              "haunted, nightmares",
    "musical": "musical film: song and dance numbers, singing, dancing, Broadway",
    "mystery": "mystery film: whodunit, puzzle, murder mystery, detective solving a case, suspense",
    "romance": "romance film: love story, romantic, falling in love, date night, couples",
    "sci fi": "science fiction film: outer space, set in space, spaceships, aliens, robots, the future, time travel, "
              "futuristic",
    "thriller": "thriller film: suspense, tension, edge of your seat, tense, gripping, twisty, plot twists, paranoid, "
                "mind games",
    "war": "war film: soldiers, battles, the army, combat, World War",
    "western": "western film: cowboys, the Wild West, gunslingers, outlaws, ranches, frontier",
    # music genres
    "death metal": "death metal music: brutal, extreme heavy metal, growling vocals, aggressive",
    "heavy metal": "heavy metal music: loud distorted guitars, headbanging",
    "metal": "metal music: heavy, loud distorted guitars",
    "romantic classical": "romantic era classical music: orchestral, symphonic, lush, emotional strings",
    "classical": "classical music: orchestra, symphony, piano, strings, composers",
    "rock": "rock music: electric guitars, drums, band",
    "pop": "pop music: catchy, mainstream, chart songs",
    "jazz": "jazz music: swing, saxophone, improvisation",
    "electronic": "electronic music: synthesizers, beats, techno, house, EDM",
    "ambient": "ambient music: atmospheric, background, drones, calm textures",
    "hip hop": "hip hop music: rap, beats, rhymes",
    "folk": "folk music: acoustic, traditional songs",
    "blues": "blues music: guitar, soulful, twelve-bar",
    "soundtrack": "soundtrack music: film and game scores",
    "game": "video game music: game soundtrack",
    # shop departments
    "headphones and audio": "headphones, earbuds, speakers, listening to music and podcasts, audio gear",
    "kitchen": "kitchen: cooking, baking, pans, knives, cookware, someone who loves to cook",
    "outdoor and camping": "outdoor and camping: tents, hiking, backpacking, trekking, the outdoors, survival",
    "books": "books: reading, novels, a good read, bookworm, literature",
    "board games": "board games: tabletop games, game night, card games, party games, family games",
    "fitness": "fitness: exercise, workout, gym, training, running, staying in shape, get fit, home workouts",
    "home office": "home office: working from home, desk, office chair, keyboard, laptop, sitting all day, posture, "
                   "back pain, productivity",
    "photography": "photography: cameras, lenses, taking photos, photographers",
    "gardening": "gardening: garden, plants, growing vegetables, grow your own veg, allotment, flowers, gardeners",
    "coffee": "coffee: espresso, brewing coffee, coffee beans, coffee lovers, caffeine",
    "electronics": "electronics: gadgets, tech, devices",
    "toys": "toys: for children to play with",
    "clothing": "clothing: clothes, fashion, apparel",
    "beauty": "beauty: cosmetics, skincare, make-up",
    "sports": "sports: sporting goods, athletes",
}

# The sound descriptors the app computes for every track (app/catalog/music_items.py), in listeners' words.
SOUND: dict[tuple[str, str], str] = {
    ("pace", "slow"): "slow, slow tempo, unhurried, slow music, a slow song",
    ("pace", "moderate"): "moderate tempo, mid-tempo, medium tempo, steady pace, neither slow nor fast",
    ("pace", "fast"): "fast, fast tempo, quick, rapid, high BPM, fast music for running",
    ("energy", "low"): "calm, quiet, relaxing, soft, gentle, peaceful, mellow, chill, soothing, low energy, "
                       "for sleep or study, sad and slow, feeling down, heartbroken, miserable, "
                       "drifting off to sleep, bedtime",
    ("energy", "medium"): "steady, moderate energy, medium energy, easy listening",
    ("energy", "high"): "energetic, upbeat, loud, intense, powerful, hard-hitting, pumped up, hype me up, high energy, "
                        "for the gym, a workout or a party",
    ("brightness", "dark"): "dark sound, gloomy, brooding, ominous, sombre, melancholy, sad, mournful, spooky, eerie, "
                           "menacing",
    ("brightness", "warm"): "warm sound, mellow and full",
    ("brightness", "bright"): "bright sound, cheerful, sunny, sparkling, happy, upbeat and happy",
}

"""What the voice benchmark says: conversations for the word error rate, and 4 s requests for the wall clock.

The conversations are what a user of the demo catalogue (the sample products and MovieLens 100K) might
say, several turns each: counts, genres, titles, prices, and follow-ups that point at the cards ("rate the
second one four stars"). They were written before any hint list was looked at; the hints each request is
transcribed with are whatever the app draws from the conversation so far (Conversation.speech_hints).
"""

from __future__ import annotations

CONVERSATIONS: tuple[tuple[str, ...], ...] = (
    ("Show me three comedies from the nineties.",
     "Give me two more, but a bit darker.",
     "Rate the second one four stars.",
     "Why did you pick the first one?"),
    ("I loved Fargo and The Usual Suspects. What should I watch next?",
     "Something like that but funnier.",
     "Add the third one to my weekend list.",
     "Five more like Pulp Fiction, please."),
    ("Recommend four horror movies for Halloween.",
     "Not so scary, my kids are watching too.",
     "What about a western instead?",
     "Rate the first one five stars."),
    ("I need a present for someone who loves coffee, under fifty dollars.",
     "Show me two more options.",
     "Tell me more about the Gooseneck Pour-Over Kettle.",
     "Add it to my Christmas gifts list."),
    ("Find me a good tent for camping with a friend.",
     "Something lighter for hiking, under two hundred dollars.",
     "Rate the Cork Yoga Mat three stars.",
     "Which board games are good for four players?"),
    ("My favourite film is Star Wars. Recommend me six science fiction movies.",
     "Only ones from before nineteen eighty.",
     "Why the fourth one?",
     "Put the second one on my movie night list."),
    ("Something like Toy Story for the kids tonight.",
     "I've seen those. Show me something else.",
     "Rate Toy Story five stars.",
     "Find me a romantic comedy like Sleepless in Seattle."),
    ("I want a crime thriller like Heat, but from the eighties.",
     "Give me ten of them.",
     "I hated Scream, nothing like that please.",
     "Two war films like Schindler's List."),
)

# 4 s requests (about 3-3.6 s of piper speech after 0.25 s of quiet) for end of speech to first reply audio.
# RULES: the request reader grounds them (a count, a genre, a title, a year), so no model stage runs.
RULES_REQUESTS = (
    "Recommend me three comedies from the nineties, please.",
    "Show me five science fiction films like Star Wars.",
    "Find me a crime thriller from the nineties, like Heat.",
    "I loved Fargo. Give me four more films like it.",
    "Show me two horror movies from the eighties, please.",
)
# MODEL: nothing in them the rules can ground (no title, genre, domain, year or price), so the built-in
# model is asked to read them (the llm_intent stage).
MODEL_REQUESTS = (
    "What would you suggest for a rainy Sunday on my own?",
    "I am in the mood for something that makes me think.",
    "Surprise me with something I have never heard of.",
    "My sister is visiting this weekend. Any ideas for us?",
    "What should I try after a really long week at work?",
)

"""verify suite: basis pursuit (placeholder until filled)."""


def run(thorough: bool = False):
    return []

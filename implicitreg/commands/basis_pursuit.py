"""``implicitreg l1`` (placeholder until filled)."""


def register(sub) -> None:
    return None

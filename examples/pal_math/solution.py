# A program as PAL's model writes one: `agentcore sandbox run` shows what the sandbox makes of it.
def solution():
    loaves_baked = 200
    sold_morning = 93
    sold_afternoon = 39
    returned = 6
    return loaves_baked - sold_morning - sold_afternoon + returned

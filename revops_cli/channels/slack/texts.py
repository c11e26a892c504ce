"""What the bot says on its own (everything else it posts is an answer from `service.ask`)."""

ACK_TEXT = ":hourglass_flowing_sand: On it: pulling the numbers now. I'll answer right here in this thread."
SLASH_ACK_TEXT = "Got it, working on it. The answer will appear in this channel."
SORRY_TEXT = ("Sorry, something went wrong on my side and I couldn't finish that answer. "
              "It's logged; please try again in a minute.")
RESTART_TEXT = "Sorry, I was restarted before I could answer this one. Please ask again."
HELP_TEXT = ("Ask me about deals, leads, pipeline or revenue, e.g. "
             "_@RevBot what is the status of the IXIS deal?_ Follow-ups in the same thread keep the context.")
CONFIRM_HINT = "Press *Confirm* below to"

## Tracking pages: unsubscribe and errors

tracking-unsubscribe-title = Unsubscribe
tracking-unsubscribe-question = Press the button and we will not write to you again.
tracking-unsubscribe-button = Unsubscribe
tracking-unsubscribed = Done: you are unsubscribed and will get no more emails.
tracking-not-found-title = Link not found
tracking-not-found = This link is wrong or has expired.
tracking-too-large-title = Request too large
tracking-too-large = The request is too large.
tracking-unavailable-title = Service temporarily unavailable
tracking-unavailable = The link could not be handled just now. Please try again in a few minutes.

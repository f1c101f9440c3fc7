"""Campaigns: leads enrolled in a sequence of steps, sent from a mailbox group within every cap.

`ports` is the contract between the parts: the campaign planner turns due enrollments into `planned` rows
(Message-ID, mailbox, lead, step, variant — no text), and the outbox asks a `ComposeCampaign` for the text of a
campaign row when it claims it, so that a day of 100,000 sends is planned without rendering 100,000 templates
and every rendering knows its row (tracking and unsubscribe links carry the row's signed id).
"""

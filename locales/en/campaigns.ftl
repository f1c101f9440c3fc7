## Campaigns in chat: /campaigns, /campaign_new, /campaign_set, /campaign_group, /campaign_steps, /campaign_preview,
## /campaign_test, /campaign_start, /campaign_pause, /campaign_resume, /campaign.

campaigns-none = This workspace has no campaigns yet. Create one: /campaign_new name
campaigns-none-client = This workspace has no campaigns yet.
campaigns-title = Campaigns: { $count }
campaigns-line = { $name } — { $status }, steps: { $steps }, leads: { $enrolled } (active { $active })
campaigns-hint = Details: /campaign name
campaigns-hint-client = A campaign's report: /report_campaign name
campaign-created = Campaign { $name } created (a draft).
campaign-next-steps =
    Next:
    1. The mailbox group (addresses and/or domains): /campaign_group { $name } domain.com
    2. Leads: upload a CSV (/leads_import) and add them to the campaign.
    3. The sequence — as text after the command or as a .txt file, sample below.
    4. Check it: /campaign_preview { $name } and /campaign_test { $name } you@address
    5. Settings (optional): /campaign_set { $name } window=09:00-18:00 weekdays=mon-fri timezone=Europe/Moscow
    6. Start: /campaign_start { $name }
campaign-steps-sample =
    Subject: {"{{Hi|Hello}}"}, {"{first_name|there}"}
    I am writing about {"{company}"}…

    === variant B weight 30
    Subject: A question for {"{company}"}
    Another first email…

    --- step 2 after 3 days
    A reply in the same thread (no subject)…

    --- step 3 after 2 business days
    The last email…
campaign-steps-rules =
    How to write the sequence: step 1 starts the text, its first line is “Subject: …”, then the email.
    The next step is a line “--- step 2 after 3 days” (or “after 2 business days”: Mon–Fri).
    An A/B variant is a line “=== variant B weight 30”; variants without a weight share what is left of 100.
    A later step has one variant or as many as step 1 (a lead stays in its variant); without a subject it goes as a reply in the same thread: “Re: ” and the subject of step 1.
    Fields: {"{first_name}"} or {"{name}"} (and {"{last_name}"}, {"{company}"}; in Russian {"{имя}"}, {"{фамилия}"}, {"{компания}"}), {"{company|your company}"} (after | — when the field is empty), your own lead columns (a space in a column's name is written _: {"{Job_Title}"}); spintax {"{{Hi|Hello}}"}.
    Limits: up to { $steps } { $steps ->
        [one] step
       *[other] steps
    }, up to { $variants } { $variants ->
        [one] variant
       *[other] variants
    }, up to { $chars } { $chars ->
        [one] character
       *[other] characters
    } a text. Over 4,000 characters — send a .txt file.
campaign-steps-ask =
    Send the sequence for { $name } as your next message or as a .txt file. The format:
    { $sample }

    { $rules }
campaign-steps-ask-inline =
    Send the sequence for { $name } in the command itself: /campaign_steps { $name } on the first line, the sequence on the lines after it. Or attach a .txt file to the command. The format:
    { $sample }

    { $rules }
campaign-steps-saved = Sequence of { $name } saved: { $count } { $count ->
    [one] step
   *[other] steps
}.
campaign-step-first = Step 1 (right away): variants { $variants } — “{ $subject }”
campaign-step-calendar = Step { $step }: after { $days } { $days ->
    [one] day
   *[other] days
}, variants { $variants }
campaign-step-business = Step { $step }: after { $days } business { $days ->
    [one] day
   *[other] days
}, variants { $variants }
campaign-steps-next = Check it: /campaign_preview { $name } — and send yourself a test: /campaign_test { $name } you@address
campaign-settings-help =
    Settings: /campaign_set name key=value …
    timezone=Europe/Moscow — the time zone
    window=09:00-18:00 — the send window
    weekdays=mon-fri (пн-пт, 1-5, mon,wed,fri) — the days of the week
    daily_cap=500 — campaign emails a day (1–5000)
    per_mailbox_cap=30 — campaign emails a mailbox sends a day (1–50)
    lead_timezone=on — the window in the lead's time zone when known
    html=on — an HTML email with an open pixel (track_opens comes on with it), track_clicks=on — link tracking (track=on — both)
    stop_on_reply=on — stop the sequence when the lead replies
campaign-settings-saved = Settings of { $name } saved.
campaign-settings-line = Zone { $timezone }, window { $window }, days { $weekdays }, a day { $daily_cap }, per mailbox { $per_mailbox_cap }; { $flags }
campaign-weekdays-short = Mon,Tue,Wed,Thu,Fri,Sat,Sun
campaign-group-saved = Mailbox group of { $name } saved
campaign-group-line = Ready to send: { $ready } of { $total } · { $stages }
campaign-group-first-ready = The first mailbox is ready on { $date } at the earliest.
campaign-group-none-ready = No mailbox of the group has finished warmup yet: the campaign cannot send.
campaign-preview-title = Preview of { $name }, step { $step }
campaign-preview-subject = Subject: { $subject }
campaign-preview-empty = This lead's fields { $fields } are empty: the email has nothing in their place. Fill them in the CSV or give a fallback: { $example }
campaign-test-queued = Test of { $name } (step { $step }, variant { $variant }) queued to { $email }.
campaign-started = Campaign { $name } started.
campaign-resumed = Campaign { $name } resumed.
campaign-started-left-to-others = { $count } { $count ->
    [one] lead is
   *[other] leads are
} already in another running or paused campaign of the workspace: left out of this one, so that nobody gets two sequences.
campaign-started-despite = Started despite the warnings:
campaign-refused = Campaign { $name } cannot start:
campaign-warnings = Warnings too:
campaign-confirm-title = { $name }: check before starting
campaign-confirm-ask = Start anyway? The button works for 15 minutes.
campaign-confirm-button = Start anyway
campaign-paused = Campaign { $name } paused. Planned emails wait until /campaign_resume { $name }.
campaign-refuse-no-steps = there is no sequence: /campaign_steps { $name }
campaign-refuse-no-leads = no leads are enrolled: send a CSV captioned /leads_import { $name } source=… basis=…
campaign-refuse-no-leads-slack = no leads are enrolled: send me a CSV in a direct message with the text "leads_import { $name } source=… basis=…"
campaign-refuse-no-active-leads = no lead waits for an email any more ({ $enrolled } enrolled: each finished the sequence, replied, unsubscribed or was stopped): add new ones with /leads_import { $name }
campaign-refuse-no-group = the campaign has no mailbox group: /campaign_group { $name } domain
campaign-refuse-not-ready = no mailbox of the group is ready: { $warming } { $warming ->
    [one] is
   *[other] are
} warming up, the first is ready on { $date } at the earliest
campaign-refuse-waiting-placement = { $waiting } { $waiting ->
    [one] mailbox has finished the warmup period but waits for at least { $threshold } % of its warmup mail
   *[other] mailboxes have finished the warmup period but wait for at least { $threshold } % of their warmup mail
} to reach the inbox (/warmup shows each one's share)
campaign-refuse-held = paused, cooling down or disabled: { $held } (/mailbox_resume)
campaign-reason-step = step { $step }: { $text }
campaign-warn-slow = { $leads } { $leads ->
    [one] lead
   *[other] leads
}, { $ready } ready { $ready ->
    [one] mailbox
   *[other] mailboxes
}: step 1 alone takes about { $days } { $days ->
    [one] day
   *[other] days
}
campaign-warn-empty-field = { $leads } { $leads ->
    [one] lead leaves
   *[other] leads leave
} { $field } empty: nothing will stand in its place in their letters. Fill it in the CSV or give a fallback: { $example }
campaign-title = { $name } — { $status }, steps: { $steps }
campaign-progress = Leads: { $enrolled } ({ $states }) — where each stands now: one who replied or opted out after the sequence ended stays “completed”, one who opted out after replying stays “replied” (/report_campaign counts every reply and opt-out)
campaign-left-company = Of the stopped, no longer with the company (as their auto-reply said): { $count } — their sequences are stopped for good; new contacts the auto-replies named are in /leads
campaign-sent = Sent today: { $today }, in total: { $total }; planned: { $pending }; next: { $next }
campaign-next-after-start = once started (/campaign_start { $name })
campaign-next-once-resumed = { $at } at the earliest, once resumed (/campaign_resume { $name })
campaign-waiting = Waiting for their next email: { $steps }
campaign-waiting-step = step { $step } — { $count }
campaign-step-sent = Step { $step }, variant { $variant }: sent { $sent }
campaign-deferrals-title = What held sending back on { $day }:
campaign-deferral = wanted { $wanted }, allowed { $allowed } — { $cap }
campaign-deferral-mailbox = { $mailbox }: wanted { $wanted }, allowed { $allowed } — { $cap }
campaign-deferrals-none = Nothing held sending back today.
enrollment-state-active = active
enrollment-state-completed = completed
enrollment-state-replied = replied
enrollment-state-bounced = bounced
enrollment-state-unsubscribed = unsubscribed
enrollment-state-stopped = stopped
error-campaign-name = The campaign name “{ $name }” does not fit: one word of up to { $max } { $max ->
    [one] character
   *[other] characters
} — letters, digits, “-”, “_”, “.”.
error-campaign-name-words = A campaign's name is one word, with no spaces, and “{ $name }” is several. For example: /campaign_new { $example }
error-campaign-not-found = There is no campaign “{ $name }” in this workspace.
error-campaign-not-found-manage = There is no campaign “{ $name }” in this workspace. List: /campaigns
error-campaign-exists = Campaign { $name } already exists. Open it: /campaign { $name }
error-campaign-finished = Campaign { $name } is completed or archived: it cannot change.
error-campaign-not-paused = Campaign { $name } is not paused (it is { $status }).
error-campaign-not-started = Campaign { $name } has not been started yet: there is nothing to pause. To start it: /campaign_start { $name }
error-campaign-setting-unknown = There is no setting { $name }. There are: { $known }
error-campaign-setting-value = The value { $name }={ $value } does not fit. Allowed: { $allowed }
campaign-window-allowed = two times of one day, HH:MM-HH:MM, the start before the end, for example 09:00-18:00
error-campaign-setting-pair = “{ $word }” is not a setting: write key=value, e.g. window=09:00-18:00
error-campaign-setting-none = Name the settings: key=value. Help: /campaign_set name
error-campaign-opens-need-html = Opens are only measured in HTML emails: set html=on first.
error-campaign-html-pixel = An HTML email always carries the open pixel: while html=on, opens cannot be turned off. To not track opens, send plain text: html=off (links can still be tracked in it: track_clicks=on).
error-campaign-group-empty = Name the group's mailboxes or domains.
error-campaign-group-too-many = Too many mailboxes and domains at once: { $count }, at most { $max }. Name the domains.
error-campaign-confirm-expired = This confirmation has expired. Start again: /campaign_start
error-campaign-confirm-used = This confirmation was already used: campaign { $name } is now { $status }.
error-campaign-confirm-stale = This button is out of date: campaign { $name } has changed since (now: { $status }). To start it, run /campaign_start { $name } again.
error-campaign-confirm-other = Someone else asked for this confirmation, and only they can press it. To start { $name } yourself: /campaign_start { $name }
error-campaign-test-address = “{ $address }” is not an email address.
error-campaign-test-no-mailbox = The group of { $name } has no mailbox that sends now.
error-campaign-test-no-identity = The test of { $name } cannot go: the email footer lacks the sender's legal name or contact, and no campaign email goes out without it. Set it: /workspace_legal
error-campaign-test-limit = At most { $max } { $max ->
    [one] test
   *[other] tests
} of a campaign a day.
error-campaign-preview-step = Campaign { $name } has no step { $step }.
error-campaign-preview-word = “{ $word }” is not understood: give a lead's address, a step number and a variant letter, e.g. /campaign_preview q1 ivan@example.com 2 B
error-campaign-test-word = “{ $word }” is not understood: after the address give a step number and a variant letter, e.g. /campaign_test q1 me@acme.ru 2 B
error-campaign-variant-letter = A variant is one letter: { $letters }.
error-campaign-variant-ambiguous = “{ $typed }” in step { $step } could be variant { $choices }: type the Latin letter.
error-campaign-steps-running = Campaign { $name } is running: pause it (/campaign_pause { $name }) to change the sequence.
error-campaign-steps-variants-drawn = In campaign { $name } leads already drew variant { $letter } and get the later steps in it: step 1 of the new sequence needs at least { $count } { $count ->
    [one] variant
   *[other] variants
}, it has { $have }. Only later steps may be cut down (one variant for everyone).
error-campaign-steps-text-too-long = The sequence is too long: { $length } { $length ->
    [one] character
   *[other] characters
}, at most { $max }.
error-campaign-steps-file = This is not text but a { $format } file. Save the sequence as “Plain text (.txt)” or send it as text: /campaign_steps { $name } and the sequence on the next lines.
error-campaign-steps-empty = The sequence has no email. Sample: /campaign_steps name
error-campaign-steps-header = Line { $line }: “{ $text }” is not understood. Write “--- step 2 after 3 days” or “=== variant B weight 30”.
error-campaign-steps-first-delay = Line { $line }: step 1 goes out right away, it has no delay.
error-campaign-steps-order = Line { $line }: step { $expected } was expected, not { $found }.
error-campaign-steps-no-delay = Line { $line }: step { $step } has no delay — “after N days”.
error-campaign-steps-delay = Line { $line }: the delay of step { $step } is { $min } to { $max } { $max ->
    [one] day
   *[other] days
}.
error-campaign-steps-too-many = Line { $line }: at most { $max } { $max ->
    [one] step
   *[other] steps
}.
error-campaign-steps-too-many-variants = Line { $line }: at most { $max } { $max ->
    [one] variant
   *[other] variants
} in step { $step }.
error-campaign-steps-variant-order = Line { $line }: variant { $expected } was expected in step { $step }, not { $found }.
error-campaign-steps-variant-letter = Line { $line }: a variant is one of the letters { $letters }.
error-campaign-steps-weight = Line { $line }: a weight is { $min } to { $max }.
error-campaign-steps-weights-over = Step { $step } (line { $line }): the weights given add up to more than 100, leaving nothing for the variants without one.
error-campaign-steps-variant-count = Step { $step } (line { $line }): { $count } { $count ->
    [one] variant
   *[other] variants
}, step 1 has { $first }. A later step has one variant or as many as step 1.
error-campaign-steps-no-subject = Step { $step }, variant { $variant } (line { $line }): no subject — the first line is “Subject: …”.
error-campaign-steps-subject-long = Step { $step }, variant { $variant } (line { $line }): the subject is longer than { $max } { $max ->
    [one] character
   *[other] characters
}.
error-campaign-steps-no-body = Step { $step }, variant { $variant } (line { $line }): there is no text.
error-campaign-steps-body-long = Step { $step }, variant { $variant } (line { $line }): the text is { $length } { $length ->
    [one] character
   *[other] characters
}, at most { $max }.
error-campaign-steps-field-typo = A misspelt field? { $names } — { $where }. Correct the field's name: it would never be filled in, and a fallback after | would go in every email instead.
error-campaign-steps-unknown-field = There is no field { $names } — { $where }. It is neither a lead field ({ $fields }) nor a column of the leads. Correct its name, import the leads with such a column first (/leads_import), or give a fallback for the leads without it: { $example }
error-campaign-steps-html = HTML tags { $tags } — { $where }. A letter is written as plain text: the tags would reach the lead as written. Write the text alone and a link as its address (https://…); a blank line starts a paragraph, and with html=on the HTML part is made from the text.
campaign-steps-where = step { $step }, variant { $variant }, { $part } (line { $line })
campaign-steps-part-subject = subject
campaign-steps-part-body = text
arg-campaign-new-name = campaign
arg-campaign-new-settings = key=value settings
arg-campaign-set-name = campaign
arg-campaign-set-settings = key=value settings
arg-campaign-group-name = campaign
arg-campaign-group-mailboxes = mailboxes and domains
arg-campaign-steps-name = campaign
arg-campaign-steps-steps = the sequence
arg-campaign-steps-file = .txt file
arg-campaign-preview-name = campaign
arg-campaign-preview-options = lead address, step, variant
arg-campaign-test-name = campaign
arg-campaign-test-email = your address [step] [variant]
arg-campaign-start-name = campaign
arg-campaign-confirm-token = confirmation
arg-campaign-pause-name = campaign
arg-campaign-resume-name = campaign
arg-campaign-name = campaign
cmd-campaigns = the workspace's campaigns
cmd-campaign-new = create a campaign (guided)
cmd-campaign-set = campaign settings: window, days, time zone, caps, HTML
cmd-campaign-group = the campaign's mailbox group: addresses and/or domains
cmd-campaign-steps = the sequence: as text after the command or as a .txt file
cmd-campaign-preview = how an email reads for a lead
cmd-campaign-test = send yourself a test email
cmd-campaign-start = start a campaign (checked first)
cmd-campaign-confirm = confirm a start despite warnings
cmd-campaign-pause = pause a campaign
cmd-campaign-resume = resume a campaign
cmd-campaign = a campaign: progress and what holds sending back

# Reserve pool and domain swaps (engine/domains/reserve.py, engine/domains/swap.py, bot/handlers/reserve.py)

cmd-reserve = the reserve pool: ready and warming reserve domains, and what a shortfall would take
cmd-approvals = requests waiting for your decision, with their buttons

approval-domain-swap = The domain { $domain } is burned. Replace it with the reserve domain { $replacement } ({ $replacement_mailboxes } graduated { $replacement_mailboxes ->
    [one] mailbox
   *[other] mailboxes
})? { $campaigns ->
    [0] No campaign uses it.
    [one] 1 campaign moves
   *[other] { $campaigns } campaigns move
}{ $campaigns ->
    [0] {""}
   *[other] {" "}({ $campaign_names }), { $leads } active { $leads ->
        [one] sequence
       *[other] sequences
    } continue from the new mailboxes; { $mailboxes } { $mailboxes ->
        [one] mailbox
       *[other] mailboxes
    } of { $domain } will be retired.
}{ $renews ->
    [0] {""}
   *[other] {" "}This asks again: nobody answered request #{ $renews } while it stood, and the domain is still stopped.
}
alert-reserve-empty = The domain { $domain } needs replacing, but the reserve has no ready domain ({ $campaigns } { $campaigns ->
    [one] campaign uses
   *[other] campaigns use
} it). { $warming ->
    [0] To have one: buy a domain and warm it up, about { $buy_weeks } { $buy_weeks ->
        [one] week
       *[other] weeks
    }.
   *[other] { $warming } reserve { $warming ->
        [one] domain is
       *[other] domains are
    } still warming: the first may be ready in about { $warming_weeks } { $warming_weeks ->
        [one] week
       *[other] weeks
    }.
}{ $offered ->
    [some] {" "}The ready reserve is already offered to another request: { $offered_to }. If that request is rejected, ask again: /swap { $domain }
   *[none] {""}
}

swap-applied = Done: { $domain } → { $replacement }. { $campaigns } { $campaigns ->
    [one] campaign moved
   *[other] campaigns moved
}{ $campaigns ->
    [0] {""}
   *[other] {" "}({ $names })
}; { $moved } active { $moved ->
    [one] sequence continues
   *[other] sequences continue
} from { $boxes } { $boxes ->
    [one] mailbox
   *[other] mailboxes
} of { $replacement } (the next follow-up starts a new thread); { $replanned } planned { $replanned ->
    [one] send was
   *[other] sends were
} taken off the old mailboxes and will be planned again. { $domain } and its { $retired } { $retired ->
    [one] mailbox are
   *[other] mailboxes are
} retired.
swap-already-applied = The swap { $domain } → { $replacement } was already carried out (request #{ $id }).
error-swap-not-approved = Request #{ $id } is { $status }, not approved: nothing was moved.
error-swap-replacement-unusable = The reserve domain { $domain } can no longer take over ({ $reason ->
    [taken] it is no longer in the reserve: another swap has put it to work
    [listed] it is blacklisted
    [dns_bad] its DNS records are wrong
   *[other] it is not sending or has no graduated mailbox
}). Nothing was moved; check the reserve with /reserve.
swap-recovered = Request #{ $id } no longer applies: { $domain } is on no blacklist now and its DNS records are right, so it is back at work and nothing was moved.
swap-reserve-freed = { $replacement } is free again: it is offered to replace { $domain }, which has been waiting for a reserve (request #{ $id }).
swap-stale = Request #{ $id } no longer applies: the reserve domain { $replacement } cannot take over now ({ $reason ->
    [taken] it is no longer in the reserve: another swap has put it to work
    [listed] it is blacklisted
    [dns_bad] its DNS records are wrong
   *[other] it is not sending or has no graduated mailbox
}). Nothing was moved.

reserve-title = Reserve pool
reserve-title-agency = Reserve pool of the agency
reserve-pool = Of { $total } { $total ->
    [one] domain
   *[other] domains
}: { $active } active, { $ready } ready in reserve, { $warming } warming in reserve, { $cooling } cooling, { $burned } burned this month.
reserve-workspace = { $workspace }: { $active } active, { $ready } ready, { $warming } warming, { $burned } burned this month
reserve-no-domains = The workspace has no domains yet: there is no reserve, and nothing to size one from. Add domains: /domain_add, and mark the spare ones: /domain_set <domain> pool reserve.
reserve-no-domains-agency = The agency has no domains yet: there is no reserve, and nothing to size one from. Add domains in the workspaces: /domain_add.
reserve-enough = The reserve is enough: { $ready } ready of { $target } wanted.
reserve-short = Short of { $missing } ready reserve { $missing ->
    [one] domain
   *[other] domains
} (wanted { $target }).
reserve-short-warming = { $warming } warming { $warming ->
    [one] domain
   *[other] domains
} on the way, the first ready in about { $weeks } { $weeks ->
    [one] week
   *[other] weeks
}.
reserve-short-buy = Buy { $buy } { $buy ->
    [one] domain
   *[other] domains
}: ready in about { $weeks } { $weeks ->
    [one] week
   *[other] weeks
} (DNS, mailboxes and warmup).
reserve-line-ready = ✅ { $domain }: ready, { $graduated } graduated { $graduated ->
    [one] mailbox
   *[other] mailboxes
}, placement { $placement }
reserve-line-offered = { " " }· offered in swap request { $request }
reserve-line-warming = ⏳ { $domain }: not ready ({ $reasons }), about { $weeks } { $weeks ->
    [one] week
   *[other] weeks
} left
reserve-placement-none = not measured yet
reserve-not-ready-status = not sending yet
reserve-not-ready-dns-unchecked = DNS not checked
reserve-not-ready-dns-bad = DNS records wrong
reserve-not-ready-dns-unknown = DNS could not be checked
reserve-not-ready-listed = blacklisted
reserve-not-ready-blacklist-unknown = blacklists could not be checked
reserve-not-ready-no-graduated = no graduated mailbox

approvals-none = No request is waiting for a decision.
approvals-title = Waiting for a decision: { $count }
approvals-more = … and { $count } more: these are the oldest requests; decide them, and /approvals lists the next ones.
approvals-item = { $workspace ->
    [none] {""}
   *[other] { $workspace } ·{" "}
}#{ $id } · { $kind } · { $subject } · asked { $asked }, expires { $expires }
approval-kind-domain-swap = domain swap
approval-kind-dmarc-step = DMARC step
approval-kind-dns-apply = DNS plan
error-swap-domain-retired = { $domain } is already retired: there is nothing left to swap.

cmd-swap = propose replacing a burned or cooling domain with the best ready reserve domain
swap-proposed = Request #{ $id } asks for the swap (the buttons are below and in the alert chats).
swap-reused = Request #{ $id } for this domain is already waiting.
swap-not-needed = { $domain } is { $status }: only a cooling or burned domain is swapped.
swap-not-needed-reserve = { $domain } is a reserve domain and no campaign sends from it: there is nothing to replace.
arg-swap-domain = domain

## Campaign message content: templates, the pre-launch check, building a message

error-template-syntax = Template error ({ $where }) at character { $position }: { $detail ->
    [unclosed-spintax] “{"{{"}” is opened but never closed with “{"}}"}”
    [unclosed-placeholder] a field “{"{"}” is not closed with “{"}"}” on the same line
    [unexpected-close] a stray “{"}"}”; to write a brace as text, put \ before it
    [bad-placeholder] braces must hold a field name (letters, digits, _), e.g. {"{"}first_name{"}"}; write a brace as text like this: \{"{"}
    [brace-in-placeholder] a field cannot contain “{"{"}”
    [too-deep] variants are nested more than { $limit } { $limit ->
        [one] level
       *[other] levels
    } deep
    [too-long] the template is longer than { $limit } { $limit ->
        [one] character
       *[other] characters
    }
   *[other] invalid syntax
}
error-template-output-too-long = The template ({ $where }) renders to more than { $limit } { $limit ->
    [one] character
   *[other] characters
}
error-compose-lead-gone = The lead was deleted: the message cannot be built
error-content-campaign-not-found = Campaign not found
error-content-step-not-found = The campaign has no step { $step }
error-content-variant-not-found = Step { $step } has no variant { $variant }
error-content-lead-not-found = There is no lead { $email } in this workspace

content-where-subject = variant { $variant }, subject
content-where-body = variant { $variant }, body
content-where-step-subject = step { $step }, variant { $variant }, subject
content-where-step-body = step { $step }, variant { $variant }, body
content-part-subject = subject
content-part-body = body

content-missing-identity = The sender identity for the footer (name and postal address) is missing: no message goes out without it
content-no-variants = The step has no message variant
content-empty-variant = Variant { $variant }: the { $part } is empty
content-blank-render = Variant { $variant }: the { $part } can come out empty — its spintax {"{{…}}"} has an empty option (or a field an empty fallback {"{"}field|{"}"}) and there is no other text; add some
content-unknown-placeholder = Variant { $variant }: unknown fields { $names } — the campaign's leads have no such columns; add a fallback, e.g. {"{"}first_name|there{"}"}
content-placeholder-typo = Variant { $variant }: a misspelt field? { $names } — correct the field's name (a fallback after | does not mend it: the fallback would go in every email)
content-html-tags = Variant { $variant }: HTML tags ({ $tags }) — a letter is written as plain text and the tags would reach the lead as written
content-footer-does-not-fit = Variant { $variant }: the text is so long that the footer and the unsubscribe link do not fit
content-spam-words = Variant { $variant }: words spam filters dislike: { $words }
content-caps = Variant { $variant }: text in capitals: { $words }
content-exclamations = Variant { $variant }: many exclamation marks ({ $count })
content-too-many-links = Variant { $variant }: { $count } { $count ->
    [one] link
   *[other] links
} — more than { $limit } looks like a newsletter
content-body-too-short = Variant { $variant }: the body is short ({ $length } { $length ->
    [one] character
   *[other] characters
}, under { $limit })
content-body-too-long = Variant { $variant }: the body is long ({ $length } { $length ->
    [one] character
   *[other] characters
}, over { $limit })
content-subject-too-long = Variant { $variant }: the subject is long ({ $length } { $length ->
    [one] character
   *[other] characters
}); mail clients show about { $limit }

content-unsubscribe-line = To stop receiving these emails, follow this link: { $url } — or reply to this email with the word "unsubscribe".
content-unsubscribe-html = Unsubscribe

content-sample-email = alex.smith@example.com
content-sample-first-name = Alex
content-sample-last-name = Smith
content-sample-company = Acme
content-sample-sender-name = Anna
content-sample-sender-company = Example Ltd
content-sample-custom = value

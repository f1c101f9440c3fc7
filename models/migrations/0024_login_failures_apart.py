from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0023_lead_mailbox')]

    initial = False

    # SMTP and IMAP shared one count of refused logins, and every good IMAP read (each sweep) set it back to 0: a
    # mailbox with a wrong SMTP password and a working IMAP one never reached the limit, kept failing its sends and
    # raised nothing. Each login now has its own count; `auth_failures` stays the larger of the two
    operations = [
        ops.AddField(
            model_name='Mailbox',
            name='smtp_auth_failures',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Mailbox',
            name='imap_auth_failures',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.RunSQL(  # the count so far belongs to the login its last error names; a disabled mailbox whose IMAP
            # login was refused stays unread (it was told apart by that error alone)
            """
            UPDATE mailbox SET
                smtp_auth_failures = CASE WHEN last_error LIKE 'smtp-auth%' THEN auth_failures ELSE 0 END,
                imap_auth_failures = CASE WHEN last_error LIKE 'error-imap-auth%' THEN greatest(auth_failures, 1)
                                          ELSE 0 END
            WHERE auth_failures > 0 OR last_error LIKE 'error-imap-auth%'
            """,
            reverse_sql="SELECT 1",
        ),
    ]

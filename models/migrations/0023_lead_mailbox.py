from tortoise import migrations
from tortoise.migrations import operations as ops
from models.indexes import MailboxIndex

class Migration(migrations.Migration):
    dependencies = [('models', '0022_chat_bound_by')]

    initial = False

    # one person written several ways (`ivan@`, `Ivan+news@`: one inbox) was enrolled once per address, in one
    # campaign or in two running at once, and got every letter twice; enrollment and the agency-wide contact window
    # now compare mailboxes: one index probe per lead by the address without its +tag. An expression, so creating
    # the index fills it for the leads already stored and every writer keeps it right
    operations = [
        ops.AddIndex(
            model_name='Lead',
            index=MailboxIndex(field='email', name='lead_mailbox'),
        ),
    ]

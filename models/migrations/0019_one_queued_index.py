from tortoise import migrations
from tortoise.migrations import operations as ops

class Migration(migrations.Migration):
    dependencies = [('models', '0018_recipient_hash')]

    initial = False

    # queued rows had two partial indexes: by time, and by mailbox and time. The claim reads a mailbox's due rows;
    # a cached generic plan (built without the parameters' values, when both indexes look empty to the statistics)
    # could read the one by time and filter it by mailbox: every due row of the fleet, for every mailbox claimed
    operations = [
        ops.RemoveIndex(
            model_name='OutboundMessage',
            name='outbound_queued_due',
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from models.indexes import JsonKeyIndex

class Migration(migrations.Migration):
    dependencies = [('models', '0020_pixel_sent')]

    initial = False

    # the inbox sync asks, for the messages it reads, whether this mailbox recorded them before (a second delivery
    # of a bounce or a reply in a later sync was counted again): one index probe per message id, not a scan of the
    # event table; only the events of incoming mail carry the key
    operations = [
        ops.AddIndex(
            model_name='Event',
            index=JsonKeyIndex(field='data', key='incoming_id', name='event_incoming'),
        ),
    ]

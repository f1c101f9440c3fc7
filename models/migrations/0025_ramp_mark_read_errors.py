from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0024_login_failures_apart')]

    initial = False

    # Warmup settings changed mid-ramp recomputed every warming mailbox's volume from its start with the new values
    # (day 15 of 1 a day is 16, of 3 a day 44): the mark where its ramp continues from the volume it had reached.
    # A disabled mailbox whose inbox could not be read (not its login) was retried every sweep for 30 days, said
    # nothing and overwrote why it was disabled: its read errors are kept apart, counted, and back off
    operations = [
        ops.AddField(
            model_name='Mailbox',
            name='warmup_ramp_day',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Mailbox',
            name='warmup_ramp_level',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Mailbox',
            name='read_error',
            field=fields.TextField(default='', db_default=''),
        ),
        ops.AddField(
            model_name='Mailbox',
            name='read_error_at',
            field=fields.DatetimeField(null=True),
        ),
        ops.AddField(
            model_name='Mailbox',
            name='read_failures',
            field=fields.IntField(default=0, db_default=0),
        ),
    ]

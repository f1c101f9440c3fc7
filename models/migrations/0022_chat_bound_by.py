from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0021_event_incoming')]

    initial = False

    # who bound a chat: a Slack DM's id is not its person's (a Telegram private chat's is), so revoking a manager
    # found no DM of theirs to unbind, and it kept hearing the workspace's alerts; bindings made before stay unknown
    operations = [
        ops.AddField(
            model_name='ChatBinding',
            name='bound_by',
            field=fields.ForeignKeyField('models.Person', source_field='bound_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL),
        ),
    ]

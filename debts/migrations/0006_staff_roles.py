"""The two staff roles as groups with their permissions (see tipiportal.roles)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from tipiportal.roles import roles_install


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations: create them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    roles_install(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("debts", "0005_alter_debt_options"),
        ("payments", "0004_alter_tipiclient_options"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]

"""Hook implementations: what this plugin provides to agentcore."""

from agentcore.plugin import hookimpl
from agentcore_units.conversions import convert_units


@hookimpl
def register_tools(register):
    register(convert_units)

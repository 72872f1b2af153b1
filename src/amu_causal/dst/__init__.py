"""From Statistics Denmark's raw registers to the analysis register of the data contract.

:func:`build_register` applies EVA's definitions to the raw registers (BEF,
residence permits, UDDA, the course register, BFL and RAS) through one coding
file (:func:`read_mapping`); :func:`write_raw_registers` writes a synthetic
register's people in those layouts, so the path can be tried without data.
"""

from .builder import RawRegisterError, build_register, read_mapping
from .raw import write_raw_registers

__all__ = ["RawRegisterError", "build_register", "read_mapping", "write_raw_registers"]

"""Surgical phase vocabularies of the public benchmarks, in surgical order."""
from typing import Dict, Tuple

CHOLEC80_PHASES: Tuple[str, ...] = (
    'Preparation',
    'CalotTriangleDissection',
    'ClippingCutting',
    'GallbladderDissection',
    'GallbladderPackaging',
    'CleaningCoagulation',
    'GallbladderRetraction',
)

M2CAI16_PHASES: Tuple[str, ...] = ('TrocarPlacement', ) + CHOLEC80_PHASES

PHASES: Dict[str, Tuple[str, ...]] = {
    'cholec80': CHOLEC80_PHASES,
    'm2cai16': M2CAI16_PHASES,
}


def get_phases(dataset: str) -> Tuple[str, ...]:
    """Phase names of ``dataset`` ('cholec80' or 'm2cai16'), in id order."""
    try:
        return PHASES[dataset.lower()]
    except KeyError:
        raise ValueError(f'Unknown phase dataset {dataset!r}; expected one of '
                         f'{sorted(PHASES)}') from None


def phase_to_id(dataset: str) -> Dict[str, int]:
    """Map each phase name of ``dataset`` to its integer id."""
    return {name: i for i, name in enumerate(get_phases(dataset))}

"""Install mmdistill; configs and tools ship inside the package as ``mmdistill/.mim``."""
import os
import os.path as osp
import shutil

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

ROOT = osp.dirname(osp.abspath(__file__))
MIM_ITEMS = ('configs', 'tools')


def read_version() -> str:
    scope: dict = {}
    with open(osp.join(ROOT, 'mmdistill', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


def parse_requirements(fname: str) -> list:
    """Read a requirements file, following ``-r`` includes."""
    reqs = []
    with open(osp.join(ROOT, fname)) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            if line.startswith('-r '):
                reqs += parse_requirements(
                    osp.join(osp.dirname(fname), line[3:].strip()))
            else:
                reqs.append(line)
    return reqs


class BuildWithMim(build_py):
    """Copy ``configs/`` and ``tools/`` into ``mmdistill/.mim`` of the build.

    Like mmpretrain's ``.mim`` folder, this lets ``pip install mmdistill`` users
    (and ``mim``) find the configs and tools without a source checkout.
    """

    def run(self) -> None:
        super().run()
        for item in MIM_ITEMS:
            src = osp.join(ROOT, item)
            dst = osp.join(self.build_lib, 'mmdistill', '.mim', item)
            if osp.exists(dst):
                shutil.rmtree(dst)
            shutil.copytree(
                src, dst, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))


def link_mim_for_develop() -> None:
    """In an editable install, ``mmdistill/.mim/*`` link to the checkout."""
    mim = osp.join(ROOT, 'mmdistill', '.mim')
    os.makedirs(mim, exist_ok=True)
    for item in MIM_ITEMS:
        dst = osp.join(mim, item)
        if not osp.lexists(dst):
            os.symlink(osp.join('..', '..', item), dst)


if __name__ == '__main__':
    link_mim_for_develop()
    setup(
        name='mmdistill',
        version=read_version(),
        description='Distilled self-supervised learning for surgical video, '
        'an OpenMMLab plugin',
        long_description=open(osp.join(ROOT, 'README.md')).read(),
        long_description_content_type='text/markdown',
        license='Apache License 2.0',
        python_requires='>=3.8',
        packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
        include_package_data=False,
        cmdclass={'build_py': BuildWithMim},
        install_requires=parse_requirements('requirements/runtime.txt') +
        parse_requirements('requirements/mminstall.txt'),
        extras_require={'tests': parse_requirements('requirements/tests.txt')},
        zip_safe=False)

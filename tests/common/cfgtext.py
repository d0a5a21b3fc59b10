"""Shared by the end-to-end tests: a flat {"section.key": value} dict of
settings written as a libconfig file, and the mpirun prefix."""
import json


def settings_to_cfg(settings):
    """libconfig text for settings such as {"model.clip.text_width": 64, ...}."""
    groups = {}
    for k, v in settings.items():
        parts = k.split(".")
        d = groups.setdefault(parts[0], {})
        for p in parts[1:-1]:
            d = d.setdefault(p, {})
        d[parts[-1]] = v

    def fmt(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return json.dumps(v)
        return repr(v) if isinstance(v, float) else str(v)

    def emit(d, ind):
        out = []
        for k, v in d.items():
            if isinstance(v, dict):
                out += [f"{ind}{k} = {{"] + emit(v, ind + "  ") + [f"{ind}}};"]
            else:
                out.append(f"{ind}{k} = {fmt(v)};")
        return out

    return "\n".join(emit(groups, "")) + "\n"


def mpirun(n):
    """The launcher prefix for n ranks (none for one)."""
    return ["mpirun", "-np", str(n), "--oversubscribe"] if n > 1 else []

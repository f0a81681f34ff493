# Runs at install time (install(CODE) in systemd/CMakeLists.txt): writes one unit from its .service.in with
# the paths of THIS install, so `cmake --install --prefix X` and a package built by CPack (prefix /usr, under
# DESTDIR) both get units that name their own binary. Inputs: _unit_in, _unit_out (file name), _unitdir,
# _bindir, _docdir, _routerdir (each absolute or relative to CMAKE_INSTALL_PREFIX), _node (absolute).
foreach(_var _unitdir _bindir _docdir _routerdir)
  if(IS_ABSOLUTE "${${_var}}")
    set(${_var}_full "${${_var}}")
  else()
    set(${_var}_full "${CMAKE_INSTALL_PREFIX}/${${_var}}")
  endif()
endforeach()
set(WAMP_METAD_BIN "${_bindir_full}/wamp-metad")
set(WAMP_METAD_DOCDIR "${_docdir_full}")
set(WAMP_METAD_ROUTER_DIR "${_routerdir_full}")
set(WAMP_METAD_NODE "${_node}")
set(_dest "${_unitdir_full}/${_unit_out}")
message(STATUS "Installing: $ENV{DESTDIR}${_dest}")
configure_file("${_unit_in}" "$ENV{DESTDIR}${_dest}" @ONLY)
list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${_dest}")

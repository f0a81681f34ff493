#define BOOST_TEST_MODULE wamp_metad
#include <boost/test/unit_test.hpp>
